-- What this validator has signed, written before the message leaves the node (crash safety: after a restart the
-- core gets these back and never signs two different messages for one (height, round, type)).
CREATE TABLE signed_message (
    height     BIGINT   NOT NULL,
    round      INTEGER  NOT NULL,
    type       SMALLINT NOT NULL,
    message    BYTEA    NOT NULL,  -- SignedConsensusMessage, canonical encoding
    prepared   BYTEA,              -- with a Commit: the signed RoundChange-style prepared certificate (see SignedMessageStore)
    signed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (height, round, type)
);
