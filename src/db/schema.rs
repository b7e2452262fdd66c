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
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        submission_id -> Text,
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
    }
}

diesel::joinable!(outbox -> submissions (submission_id));
diesel::joinable!(events -> submissions (submission_id));
diesel::allow_tables_to_appear_in_same_query!(submissions, outbox, events);
