package org.timecoin.protocol.rules;

/**
 * Why input is refused, as a stable code: {@link #name()} is the string on the wire, at the REST edge, in dead-letter
 * headers and metric tags. The project's one result convention: a rule check returns {@code Optional<code>} (empty: the
 * input passes), a decoder throws {@link org.timecoin.protocol.codec.ProtocolException} carrying one, and callers branch
 * on the code, never on a message. Exceptions otherwise mean the node itself cannot go on (database down, a bug).
 */
public interface ReasonCode {
    String name();
}
