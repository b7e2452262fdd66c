-- Each account's own language for the console; none means the browser's (Accept-Language).
ALTER TABLE staff_users ADD COLUMN locale TEXT CHECK (locale IN ('fr', 'en'));
