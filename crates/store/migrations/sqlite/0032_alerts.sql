-- Issue 17, alerts: what each member of a business chose to hear of at once (kinds as
-- ",new_form,missed_call,"), by which channels (e-mail to their login, SMS to sms_number), and
-- their quiet hours in minutes after local midnight on time_zone's clock. Removing the
-- membership removes the choices.
CREATE TABLE alert_choices (
    business_id INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    kinds       TEXT    NOT NULL,
    email       INTEGER NOT NULL DEFAULT 0,
    sms_number  TEXT,
    quiet_start INTEGER,
    quiet_end   INTEGER,
    time_zone   TEXT    NOT NULL,
    -- The summary e-mail an owner chose, and since when (periods ended before are not sent).
    summary       TEXT CHECK (summary IN ('daily', 'weekly')),
    summary_since INTEGER,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (business_id, user_id),
    FOREIGN KEY (user_id, business_id) REFERENCES memberships (user_id, business_id) ON DELETE CASCADE
);

-- Which alert went to whom by which channel, so a retried delivery of the event sends only
-- what is missing: one failing channel of one member neither loses nor repeats the others'.
-- Gone with its event (retention, erasure).
CREATE TABLE alert_sends (
    event_id    TEXT    NOT NULL REFERENCES events (public_id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel     TEXT    NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
    business_id INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    sent_at     INTEGER NOT NULL,
    PRIMARY KEY (event_id, user_id, channel)
);

-- Which summary e-mail went to which owner for which period (its first day, YYYY-MM-DD), so
-- each is sent once, and one missed while the server or the relay was down is sent later. A
-- server claims a period until claimed_until before mailing it, so two servers never both do.
CREATE TABLE summary_sends (
    business_id   INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    frequency     TEXT    NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    period_from   TEXT    NOT NULL,
    claimed_until INTEGER NOT NULL,
    sent_at       INTEGER,
    PRIMARY KEY (business_id, user_id, frequency, period_from)
);

-- The browsers each member subscribed to their alerts (Web Push): the push service's endpoint
-- and the keys the alert is encrypted for (RFC 8291). Forgotten when the browser unsubscribes
-- or its push service answers that it is gone, and with the membership.
CREATE TABLE push_subscriptions (
    business_id INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    endpoint    TEXT    NOT NULL,
    p256dh      TEXT    NOT NULL,
    auth        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (business_id, user_id, endpoint),
    FOREIGN KEY (user_id, business_id) REFERENCES memberships (user_id, business_id) ON DELETE CASCADE
);
