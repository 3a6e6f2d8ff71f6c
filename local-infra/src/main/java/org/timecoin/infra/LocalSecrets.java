package org.timecoin.infra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Hashes;

/** The local broker's and server's secrets: service logins derived from the admin's, files readable by their owner only. */
final class LocalSecrets {
    private LocalSecrets() {
    }

    /**
     * The password of login {@code name} of kind {@code purpose}, derived from the admin's {@code secret}: the same after
     * a restart and in another class loader, so it need not be stored. 128 bits, in hex.
     */
    static String derivedPassword(String secret, String name, String purpose) {
        return Hex.encode(Hashes.sha256((secret + "/" + name + "/" + purpose).getBytes(StandardCharsets.UTF_8))).substring(0, 32);
    }

    /** Makes {@code file} readable and writable by its owner only (where the file system has POSIX permissions). */
    static void ownerOnly(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: left as created
        }
    }
}
