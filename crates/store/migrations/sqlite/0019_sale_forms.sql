-- A sale can be tied to one of its lead's forms, as it already can to one of its calls
-- (sales.call_id): the form's submission, kept NULL when the submission is removed.
ALTER TABLE sales ADD COLUMN submission_id INTEGER REFERENCES submissions (id) ON DELETE SET NULL;
