-- +goose Up
-- What each partner last signed of a joint response: the signed version's
-- answers. A signature (signatures) is deleted by the next edit, because you
-- sign what you read; this row stays, so a partner who signed an earlier
-- version sees, word by word, what changed since they signed. One row per
-- partner and response, replaced at each signature. Drafts are never kept
-- as versions, so the answers are copied here, not referenced.
CREATE TABLE signed_texts (
    response_id bigint NOT NULL REFERENCES responses(id),
    partner_id  bigint NOT NULL REFERENCES partners(id),
    version     integer NOT NULL,
    answers     jsonb NOT NULL,
    signed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (response_id, partner_id)
);

-- +goose Down
DROP TABLE signed_texts;
