-- The chain tip and what depends on it. Exactly one row; updated in the same transaction as each applied block.
CREATE TABLE chain_state (
    id              SMALLINT PRIMARY KEY CHECK (id = 1),
    applied_height  BIGINT   NOT NULL,
    tip_hash        BYTEA    NOT NULL,
    tip_timestamp   BIGINT   NOT NULL,
    set_epoch       BIGINT   NOT NULL,  -- first height of the current validator set's membership
    utxo_commitment BYTEA    NOT NULL   -- sum mod 2^256 of H("TIMECOIN/utxo", outpoint ‖ amount ‖ keyhash) over confirmed UTXOs
);

CREATE TABLE block (
    height      BIGINT PRIMARY KEY,
    hash        BYTEA  NOT NULL UNIQUE,
    body        BYTEA  NOT NULL,        -- canonical Block encoding
    certificate BYTEA                   -- CommitCertificate (none for genesis)
);

-- UTXO states: 0 unspent, 1 locked (by lock_txid, since locked_at), 3 spent by a final transaction (spent_by),
-- 4 spent in block spent_height. created_height is null until the creating transaction is in a block.
CREATE TABLE utxo (
    txid           BYTEA    NOT NULL,
    idx            INTEGER  NOT NULL,
    amount         BIGINT   NOT NULL CHECK (amount >= 0),
    key_hash       BYTEA    NOT NULL,
    state          SMALLINT NOT NULL,
    lock_txid      BYTEA,
    locked_at      TIMESTAMPTZ,
    spent_by       BYTEA,
    created_height BIGINT,
    spent_height   BIGINT,
    PRIMARY KEY (txid, idx)
);
CREATE INDEX utxo_spendable_by_key ON utxo (key_hash, txid, idx) WHERE state IN (0, 1);
CREATE INDEX utxo_locked ON utxo (locked_at) WHERE state = 1;

-- Transactions this ledger knows: 1 pending (validated, inputs locked), 2 final, 3 confirmed in block_height,
-- 4 rejected (reason), 5 released (locks freed without finality).
CREATE TABLE tx (
    txid         BYTEA    PRIMARY KEY,
    body         BYTEA,
    status       SMALLINT NOT NULL,
    reason       TEXT,
    fee          BIGINT,
    certificate  BYTEA,
    block_height BIGINT,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX tx_final_unconfirmed ON tx (txid) WHERE status = 2;

CREATE TABLE masternode (
    node_key         BYTEA    PRIMARY KEY,
    tier             SMALLINT NOT NULL,
    host             TEXT     NOT NULL,
    port             INTEGER  NOT NULL,
    reward_key_hash  BYTEA    NOT NULL,
    collateral_txid  BYTEA    NOT NULL,
    collateral_idx   INTEGER  NOT NULL,
    registered_height BIGINT  NOT NULL
);
