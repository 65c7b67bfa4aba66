-- +goose Up
-- A bank statement's document is the same money whichever file brought it: the same statement re-sent in
-- another encoding or with other line ends has another SHA-256 but the same documents. A document is known by
-- its content — number, date, amount, payer's and payee's accounts —; a later copy is kept (its statement is
-- the audit trail) but flagged, and neither reconciles a registry nor counts as money without one.
ALTER TABLE statement_documents ADD COLUMN duplicate boolean NOT NULL DEFAULT false;

UPDATE statement_documents d SET duplicate = true
FROM (SELECT id, row_number() OVER (PARTITION BY number, doc_date, amount, payer_account, payee_account ORDER BY id) AS n
      FROM statement_documents) f
WHERE d.id = f.id AND f.n > 1;

CREATE UNIQUE INDEX statement_documents_content_key
    ON statement_documents (number, doc_date, amount, payer_account, payee_account) WHERE NOT duplicate;

-- +goose Down
DROP INDEX statement_documents_content_key;
ALTER TABLE statement_documents DROP COLUMN duplicate;
