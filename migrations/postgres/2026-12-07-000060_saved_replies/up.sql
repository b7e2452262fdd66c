-- Saved replies: texts staff insert into a reply, with variables filled in for one submission
-- (`{reference}`, `{reader_name}`, `{article_title}`, `{article_url}`, `{deadline}`,
-- `{staff_name}`). Each belongs to one desk and is written in one language. Their changes are
-- audited in `events`, without a submission, as account changes are.
CREATE TABLE saved_replies (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    desk TEXT NOT NULL CHECK (desk IN ('editorial', 'commercial')),
    locale TEXT NOT NULL CHECK (locale IN ('fr', 'en')),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX saved_replies_by_desk ON saved_replies (desk, locale, title);

-- The replies the newsroom's duties call for, shipped in both languages: the right of reply
-- inserted, refused on each ground the law allows (the grounds worded as in the outcome e-mail),
-- and a correction published. Seeded here, once per database, so that an admin's edit or
-- deletion is final and several instances never race to seed.
INSERT INTO saved_replies (id, title, desk, locale, body, created_at, updated_at) VALUES
    ('0193f1a0-5ea1-7000-8000-000000000001', 'Droit de réponse : insertion', 'editorial', 'fr',
     'Bonjour {reader_name},

Votre droit de réponse (référence {reference}) à l’article « {article_title} » a été inséré. Vous pouvez le lire à la suite de l’article : {article_url}

Nous vous remercions de votre message.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000002', 'Right of reply: inserted', 'editorial', 'en',
     'Hello {reader_name},

Your right of reply (reference {reference}) to the article "{article_title}" has been published. You can read it with the article: {article_url}

Thank you for writing to us.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000003', 'Droit de réponse : refus (contraire à la loi)', 'editorial', 'fr',
     'Bonjour {reader_name},

Nous avons bien reçu votre demande de droit de réponse (référence {reference}) à l’article « {article_title} ». Nous ne pouvons pas l’insérer. Motif : la réponse est contraire à la loi.

Ce motif est l’un de ceux que la loi prévoit pour refuser une insertion.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000004', 'Right of reply: refused (contrary to law)', 'editorial', 'en',
     'Hello {reader_name},

We have received your right-of-reply request (reference {reference}) to the article "{article_title}". We cannot publish it. Grounds: the reply is contrary to law.

The law allows an insertion to be refused on these grounds.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000005', 'Droit de réponse : refus (intérêt d’un tiers)', 'editorial', 'fr',
     'Bonjour {reader_name},

Nous avons bien reçu votre demande de droit de réponse (référence {reference}) à l’article « {article_title} ». Nous ne pouvons pas l’insérer. Motif : elle porte atteinte à l’intérêt légitime d’un tiers.

Ce motif est l’un de ceux que la loi prévoit pour refuser une insertion.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000006', 'Right of reply: refused (a third party''s interest)', 'editorial', 'en',
     'Hello {reader_name},

We have received your right-of-reply request (reference {reference}) to the article "{article_title}". We cannot publish it. Grounds: it harms a third party''s legitimate interest.

The law allows an insertion to be refused on these grounds.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000007', 'Droit de réponse : refus (honneur du journaliste)', 'editorial', 'fr',
     'Bonjour {reader_name},

Nous avons bien reçu votre demande de droit de réponse (référence {reference}) à l’article « {article_title} ». Nous ne pouvons pas l’insérer. Motif : elle porte atteinte à l’honneur du journaliste ou de l’auteur.

Ce motif est l’un de ceux que la loi prévoit pour refuser une insertion.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000008', 'Right of reply: refused (the journalist''s honour)', 'editorial', 'en',
     'Hello {reader_name},

We have received your right-of-reply request (reference {reference}) to the article "{article_title}". We cannot publish it. Grounds: it harms the honour of the journalist or author.

The law allows an insertion to be refused on these grounds.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000009', 'Droit de réponse : refus (sans rapport avec l’article)', 'editorial', 'fr',
     'Bonjour {reader_name},

Nous avons bien reçu votre demande de droit de réponse (référence {reference}) à l’article « {article_title} ». Nous ne pouvons pas l’insérer. Motif : elle est sans rapport avec l’article.

Ce motif est l’un de ceux que la loi prévoit pour refuser une insertion.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000010', 'Right of reply: refused (unrelated to the article)', 'editorial', 'en',
     'Hello {reader_name},

We have received your right-of-reply request (reference {reference}) to the article "{article_title}". We cannot publish it. Grounds: it is unrelated to the article.

The law allows an insertion to be refused on these grounds.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000011', 'Droit de réponse : refus (trop longue)', 'editorial', 'fr',
     'Bonjour {reader_name},

Nous avons bien reçu votre demande de droit de réponse (référence {reference}) à l’article « {article_title} ». Nous ne pouvons pas l’insérer. Motif : elle dépasse la longueur permise.

Ce motif est l’un de ceux que la loi prévoit pour refuser une insertion.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000012', 'Right of reply: refused (too long)', 'editorial', 'en',
     'Hello {reader_name},

We have received your right-of-reply request (reference {reference}) to the article "{article_title}". We cannot publish it. Grounds: it exceeds the permitted length.

The law allows an insertion to be refused on these grounds.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000013', 'Droit de réponse : refus (hors délai)', 'editorial', 'fr',
     'Bonjour {reader_name},

Nous avons bien reçu votre demande de droit de réponse (référence {reference}) à l’article « {article_title} ». Nous ne pouvons pas l’insérer. Motif : la demande est parvenue plus de trois mois après la publication.

Ce motif est l’un de ceux que la loi prévoit pour refuser une insertion.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000014', 'Right of reply: refused (out of time)', 'editorial', 'en',
     'Hello {reader_name},

We have received your right-of-reply request (reference {reference}) to the article "{article_title}". We cannot publish it. Grounds: the request arrived more than three months after publication.

The law allows an insertion to be refused on these grounds.

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000015', 'Correction publiée', 'editorial', 'fr',
     'Bonjour {reader_name},

Merci de nous avoir signalé une erreur dans l’article « {article_title} » (référence {reference}). Nous l’avons corrigé ; la correction est publiée avec l’article : {article_url}

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
    ('0193f1a0-5ea1-7000-8000-000000000016', 'Correction published', 'editorial', 'en',
     'Hello {reader_name},

Thank you for pointing out an error in the article "{article_title}" (reference {reference}). We have corrected it; the correction is published with the article: {article_url}

{staff_name}',
     (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'));
