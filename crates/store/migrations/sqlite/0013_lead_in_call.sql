-- Leadline sets a lead in_call while one of its calls is in progress and gives it back the
-- status it had when the last call ends: that status is kept here meanwhile.
ALTER TABLE leads ADD COLUMN status_before_call TEXT;
