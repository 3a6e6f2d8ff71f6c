-- The last blocks.applied record from this node's ledger (one row): a consensus service restarted on its own, while
-- its ledger runs on, starts the next height from it instead of waiting for an announcement that only a block it must
-- help to finalize would bring.
CREATE TABLE applied_tip (
    id     SMALLINT PRIMARY KEY CHECK (id = 1),
    height BIGINT   NOT NULL,
    record BYTEA    NOT NULL  -- the blocks.applied record as received (StackRecords.BlockApplied)
);
