-- The SHA-256 of the exact consent text the reader was shown (in their language, of the version
-- stored beside it); none for submissions taken before texts were versioned.
ALTER TABLE submissions ADD COLUMN consent_text_sha256 TEXT;
