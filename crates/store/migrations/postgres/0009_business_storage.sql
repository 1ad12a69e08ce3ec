-- Where a business's form attachments are stored when not in the server's default storage
-- (a directory on a mounted volume, or an S3-compatible bucket), as the server's JSON
-- description. NULL: the server's default. A bucket's secret key is kept here, as provider
-- auth tokens are.
ALTER TABLE businesses ADD COLUMN attachment_storage TEXT;
