//! The inbox's views ("À traiter", mine, unassigned, all) as one-click tabs, the unread-only
//! switch, and their words in French and English.

use crate::desk::triage::View;
use crate::domain::Locale;

/// The words of the views, the unread marker and the reader's history.
pub struct TriageWords {
    pub views: &'static str,
    pub todo: &'static str,
    pub mine: &'static str,
    pub unassigned: &'static str,
    pub all: &'static str,
    pub unread: &'static str,
    pub unread_only: &'static str,
    pub reader_history: &'static str,
    pub no_history: &'static str,
}

const FR: TriageWords = TriageWords {
    views: "Vues",
    todo: "À traiter",
    mine: "Mes demandes",
    unassigned: "Non assignées",
    all: "Toutes",
    unread: "Non lu",
    unread_only: "Non lues seulement",
    reader_history: "Autres demandes de ce lecteur",
    no_history: "Aucune autre demande.",
};

const EN: TriageWords = TriageWords {
    views: "Views",
    todo: "To do",
    mine: "Mine",
    unassigned: "Unassigned",
    all: "All",
    unread: "Unread",
    unread_only: "Unread only",
    reader_history: "Other submissions from this reader",
    no_history: "No other submission.",
};

pub fn words(locale: Locale) -> &'static TriageWords {
    match locale {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

/// One tab: its label, its link, and whether it is the page shown.
pub struct Tab {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// The four views, each one click away; the unread switch keeps to the current view.
pub fn tabs(current: View, unread: bool, locale: Locale) -> (Vec<Tab>, Tab) {
    let w = words(locale);
    let views = View::ALL
        .into_iter()
        .map(|v| Tab {
            label: match v {
                View::Todo => w.todo,
                View::Mine => w.mine,
                View::Unassigned => w.unassigned,
                View::All => w.all,
            },
            href: format!("/staff/?view={}", v.as_str()),
            current: v == current && !unread,
        })
        .collect();
    let switch = Tab {
        label: w.unread_only,
        href: format!("/staff/?view={}&unread=1", current.as_str()),
        current: unread,
    };
    (views, switch)
}

/// The view a query names; without one, "À traiter" unless another filter is named (the
/// queues' counts link to everything of a status, say).
pub fn chosen(view: Option<&str>, filtered: bool) -> Option<View> {
    match view {
        Some(v) => View::parse(v),
        None if filtered => Some(View::All),
        None => Some(View::Todo),
    }
}
