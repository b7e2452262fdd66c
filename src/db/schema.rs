// The tables as diesel sees them; both migration folders must produce exactly this.

diesel::table! {
    submissions (id) {
        id -> Text,
        reference -> Text,
        form -> Text,
        topic -> Text,
        queue -> Text,
        status -> Text,
        priority -> Text,
        name -> Text,
        email -> Text,
        phone -> Nullable<Text>,
        organisation -> Nullable<Text>,
        subject -> Nullable<Text>,
        message -> Text,
        article_url -> Nullable<Text>,
        article_title -> Nullable<Text>,
        locale -> Text,
        consent -> Bool,
        consent_version -> Text,
        consent_at -> Timestamp,
        marketing_opt_in -> Bool,
        client_ip_hash -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        first_response_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        deadline_at -> Nullable<Timestamp>,
        spam_reason -> Nullable<Text>,
        flags -> Text,
        desk -> Text,
        channel -> Text,
        article_published_at -> Nullable<Date>,
        outcome_kind -> Nullable<Text>,
        outcome -> Nullable<Text>,
        consent_text_sha256 -> Nullable<Text>,
        legal_hold -> Bool,
        marketing_withdrawn_at -> Nullable<Timestamp>,
        last_activity_at -> Timestamp,
        last_reader_at -> Timestamp,
        last_staff_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (form, key) {
        form -> Text,
        key -> Text,
        body_hash -> Text,
        submission_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        submission_id -> Nullable<Text>,
        purpose -> Text,
        from_addr -> Text,
        recipients -> Text,
        reply_to -> Nullable<Text>,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        message_id -> Text,
        in_reply_to -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        bounce_status -> Nullable<Text>,
        bounce_diagnostic -> Nullable<Text>,
        held_reason -> Nullable<Text>,
        list_unsubscribe -> Nullable<Text>,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        submission_id -> Nullable<Text>,
        actor -> Text,
        kind -> Text,
        detail -> Text,
        created_at -> Timestamp,
        version -> Nullable<Integer>,
    }
}

diesel::table! {
    handovers (editorial_id) {
        editorial_id -> Text,
        commercial_id -> Text,
        actor -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ack_log (mailbox, created_at) {
        mailbox -> Text,
        domain -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(outbox -> submissions (submission_id));
diesel::joinable!(events -> submissions (submission_id));

diesel::table! {
    staff_users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        active -> Bool,
        password_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        credentials_version -> Integer,
        locale -> Nullable<Text>,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> Text,
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_invitations (user_id) {
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_throttle (email, client) {
        email -> Text,
        client -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    signin_failures (id) {
        id -> Text,
        email -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    staff_known_clients (user_id, client) {
        user_id -> Text,
        client -> Text,
        last_signin_at -> Timestamp,
    }
}

diesel::table! {
    notes (id) {
        id -> Text,
        submission_id -> Text,
        author_id -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        submission_id -> Text,
        direction -> Text,
        author_id -> Nullable<Text>,
        outbox_id -> Nullable<Text>,
        message_id -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    duty_reminders (submission_id, kind) {
        submission_id -> Text,
        kind -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    leases (name) {
        name -> Text,
        owner -> Text,
        lease_until -> Timestamp,
    }
}

diesel::table! {
    inbound_mail (id) {
        id -> Text,
        submission_id -> Nullable<Text>,
        dedupe_key -> Text,
        message_id -> Nullable<Text>,
        sender -> Text,
        recipients -> Text,
        subject -> Text,
        full_text -> Text,
        body -> Text,
        attachments -> Text,
        raw -> Binary,
        outcome -> Text,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(inbound_mail -> submissions (submission_id));

diesel::table! {
    tombstones (submission_id) {
        submission_id -> Text,
        reference -> Text,
        form -> Text,
        topic -> Text,
        queue -> Text,
        desk -> Text,
        channel -> Text,
        status -> Text,
        quarantined -> Bool,
        created_at -> Timestamp,
        first_response_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        deadline_at -> Nullable<Timestamp>,
        outcome_kind -> Nullable<Text>,
        outcome -> Nullable<Text>,
        purged_at -> Timestamp,
        rule -> Text,
    }
}

diesel::table! {
    corrections (id) {
        id -> Text,
        submission_id -> Nullable<Text>,
        article_url -> Text,
        text -> Text,
        public -> Bool,
        published_at -> Timestamp,
        updated_at -> Nullable<Timestamp>,
        desk -> Text,
    }
}

diesel::joinable!(duty_reminders -> submissions (submission_id));

diesel::table! {
    inbound_seen (mailbox, uid_validity, uid) {
        mailbox -> Text,
        uid_validity -> BigInt,
        uid -> BigInt,
        created_at -> Timestamp,
    }
}
diesel::table! {
    saved_replies (id) {
        id -> Text,
        title -> Text,
        desk -> Text,
        locale -> Text,
        body -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    submission_reads (user_id, submission_id) {
        user_id -> Text,
        submission_id -> Text,
        seen_at -> Timestamp,
    }
}

diesel::joinable!(staff_sessions -> staff_users (user_id));
diesel::joinable!(staff_known_clients -> staff_users (user_id));
diesel::joinable!(staff_invitations -> staff_users (user_id));
diesel::joinable!(notes -> submissions (submission_id));
diesel::joinable!(notes -> staff_users (author_id));
diesel::joinable!(messages -> submissions (submission_id));
diesel::allow_tables_to_appear_in_same_query!(
    submissions,
    staff_users,
    staff_sessions,
    staff_known_clients,
    staff_invitations,
    notes,
    messages,
    outbox,
    events,
    idempotency_keys,
    handovers,
    ack_log,
    duty_reminders,
    leases,
    corrections,
    inbound_mail,
    tombstones,
    inbound_seen,
    saved_replies,
    submission_reads,
);
