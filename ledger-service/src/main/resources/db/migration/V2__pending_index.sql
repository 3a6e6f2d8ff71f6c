-- The mempool's size (transactions validated and locked, not final yet) is counted on every validation poll, against
-- timecoin.ledger.max-pending-transactions: a partial index keeps that count to the pending rows, not the whole history.
CREATE INDEX tx_pending ON tx (txid) WHERE status = 1;
