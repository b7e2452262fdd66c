//! Readers' mail coming back in, by whichever way (the MTA's pipe, IMAP, raw MIME over HTTP):
//! matched to its submission, or made a new one, or kept for admins; loops, noise and bounces
//! understood.

pub mod addresses;

pub use addresses::reply_to;
