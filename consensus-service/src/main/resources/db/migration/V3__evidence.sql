-- Equivocation evidence against other validators, with both signed records, so that it outlives a restart and anyone
-- can check it with the offender's key. The latest timecoin.consensus.max-evidence rows are kept (a misbehaving
-- validator can make new pairs without end).
CREATE TABLE evidence (
    id         BIGSERIAL   PRIMARY KEY,
    proof_hash BYTEA       NOT NULL UNIQUE,  -- SHA-256 of kind ‖ first ‖ second: the same offence is kept once
    offender   BYTEA       NOT NULL,
    kind       TEXT        NOT NULL,         -- CONFLICTING_MESSAGES | CONFLICTING_VOTES
    txid       BYTEA,                        -- CONFLICTING_VOTES: the transaction voted on both ways
    first      BYTEA       NOT NULL,         -- SignedConsensusMessage or TxVoteBatch, canonical encoding
    second     BYTEA       NOT NULL,
    found_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
