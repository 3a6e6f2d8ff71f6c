-- A block takes the final transactions that have waited longest for one. By txid, as before, a transaction whose txid
-- sorts late waited for as long as the backlog stayed above a block's worth (at 5,000 a block, any sustained rate above
-- 8.3 tx/s on mainnet). updated_at is when a transaction became final here (or got its body, if the certificate came
-- first): the moment it became a candidate. The count of final transactions reads this index as it read the old one.
DROP INDEX tx_final_unconfirmed;
CREATE INDEX tx_final_unconfirmed ON tx (updated_at, txid) WHERE status = 2;
