-- +goose Up
-- After a password reset, the account's next sign-ins are told about it:
-- the first sign-in of any kind mails the person ("a new sign-in after a
-- reset"), and the first sign-in with the password, when a clinic issued
-- the reset, shows "Your clinic reset your password on …". The columns say
-- which reset is still to be told (NULL: none).
ALTER TABLE users ADD COLUMN reset_at timestamptz;
ALTER TABLE users ADD COLUMN reset_by_clinic bigint REFERENCES clinics(id);
ALTER TABLE users ADD COLUMN reset_mail_due boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN reset_mail_due;
ALTER TABLE users DROP COLUMN reset_by_clinic;
ALTER TABLE users DROP COLUMN reset_at;
