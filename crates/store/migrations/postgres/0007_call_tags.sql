-- Tags a phone system or an operator puts on a call: a JSON array of strings, merged as a set.
ALTER TABLE calls ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
