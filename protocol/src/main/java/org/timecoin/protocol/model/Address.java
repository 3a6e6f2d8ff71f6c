package org.timecoin.protocol.model;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.crypto.PublicKey;

/**
 * A TIME address: {@code "TIME" + digit + Base58(key_hash20 ‖ checksum4)}; digit 1 = mainnet, 0 = testnet/devnet.
 * checksum = first 4 bytes of SHA-256(SHA-256("TIME" ‖ digit ‖ key_hash20)): the prefix is covered too, so a
 * mistyped network digit is caught like any other typo.
 */
public record Address(char networkDigit, KeyHash keyHash) {
    public static final String PREFIX = "TIME";

    public Address {
        if (networkDigit != '0' && networkDigit != '1') throw new ProtocolException(Reason.INVALID_ADDRESS, "network digit must be 0 or 1");
    }

    public static Address of(Network network, KeyHash keyHash) {
        return new Address(network.addressDigit(), keyHash);
    }

    public static Address of(Network network, PublicKey key) {
        return of(network, Hashes.keyHash(key));
    }

    public boolean belongsTo(Network network) {
        return network.addressDigit() == networkDigit;
    }

    public static Address parse(String text) {
        if (text == null || text.length() < 6 || text.length() > 60 || !text.startsWith(PREFIX)) {
            throw new ProtocolException(Reason.INVALID_ADDRESS, "address must start with " + PREFIX + " and a network digit");
        }
        char digit = text.charAt(4);
        if (digit != '0' && digit != '1') throw new ProtocolException(Reason.INVALID_ADDRESS, "unknown network digit '" + digit + "'");
        byte[] payload = Base58.decode(text.substring(5));
        if (payload.length != KeyHash.LENGTH + 4) throw new ProtocolException(Reason.INVALID_ADDRESS, "wrong address length");
        byte[] hash = Arrays.copyOf(payload, KeyHash.LENGTH);
        byte[] checksum = Arrays.copyOfRange(payload, KeyHash.LENGTH, payload.length);
        if (!Arrays.equals(checksum, checksum(digit, hash))) throw new ProtocolException(Reason.INVALID_ADDRESS, "checksum mismatch");
        Address address = new Address(digit, new KeyHash(hash));
        if (!address.toString().equals(text)) throw new ProtocolException(Reason.INVALID_ADDRESS, "non-canonical address text");
        return address;
    }

    private static byte[] checksum(char digit, byte[] keyHash) {
        byte[] prefix = (PREFIX + digit).getBytes(StandardCharsets.US_ASCII);
        byte[] data = new byte[prefix.length + keyHash.length];
        System.arraycopy(prefix, 0, data, 0, prefix.length);
        System.arraycopy(keyHash, 0, data, prefix.length, keyHash.length);
        return Arrays.copyOf(Hashes.doubleSha256(data), 4);
    }

    @Override
    public String toString() {
        byte[] hash = keyHash.toByteArray();
        byte[] payload = Arrays.copyOf(hash, KeyHash.LENGTH + 4);
        System.arraycopy(checksum(networkDigit, hash), 0, payload, KeyHash.LENGTH, 4);
        return PREFIX + networkDigit + Base58.encode(payload);
    }
}
