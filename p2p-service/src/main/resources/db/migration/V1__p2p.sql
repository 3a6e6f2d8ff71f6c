-- Signed peer addresses learned from the network (PEERADDR), kept across restarts.
CREATE TABLE peer_address (
    node_key   BYTEA PRIMARY KEY,
    address    BYTEA NOT NULL,       -- canonical PeerAddress encoding (signed by node_key)
    failures   INTEGER NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The last blocks.applied record seen: this node's height and the validator set that decides who may send
-- consensus traffic. Written before the record is acknowledged, read at start.
CREATE TABLE chain_view (
    id      SMALLINT PRIMARY KEY CHECK (id = 1),
    height  BIGINT NOT NULL,
    applied BYTEA  NOT NULL
);
