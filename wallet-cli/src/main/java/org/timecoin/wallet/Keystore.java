package org.timecoin.wallet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.Network;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * An encrypted keystore file: each private key is sealed with AES-256-GCM under a key derived from the passphrase
 * (PBKDF2-HMAC-SHA256, 210,000 iterations, per-file salt; per-key nonce; the key's name and public key are the GCM
 * associated data, so entries cannot be swapped). Public parts are readable without the passphrase. Written
 * atomically, mode 600.
 */
public final class Keystore {
    public static final int ITERATIONS = 210_000;

    public record Entry(String name, String publicKey, String address, String nonce, String ciphertext) {
    }

    public record File(int version, String network, String kdf, int iterations, String salt, List<Entry> keys) {
    }

    /** Wrong passphrase or a tampered file. */
    public static final class LockedException extends RuntimeException {
        LockedException(String message) {
            super(message);
        }
    }

    /** No keystore where one is expected, or a file that is not one this wallet reads. */
    public static final class UnusableException extends IOException {
        UnusableException(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path path;
    private File file;

    private Keystore(Path path, File file) {
        this.path = path;
        this.file = file;
    }

    public static Keystore openOrCreate(Path path, Network network) throws IOException {
        if (Files.exists(path)) return open(path);
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return new Keystore(path, new File(1, network.name().toLowerCase(), "PBKDF2WithHmacSHA256", ITERATIONS, b64(salt), List.of()));
    }

    public static Keystore open(Path path) throws IOException {
        if (!Files.exists(path)) throw new UnusableException("no keystore at " + path + " (create one with: timecoin keys new)");
        File f;
        try {
            f = JSON.readValue(path.toFile(), File.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new UnusableException("keystore " + path + " is not readable: " + e.getOriginalMessage());
        }
        if (f.version() != 1) throw new UnusableException("keystore version " + f.version() + " is not supported");
        return new Keystore(path, f);
    }

    public Network network() {
        return Network.byName(file.network());
    }

    public List<Entry> entries() {
        return file.keys();
    }

    public Optional<Entry> entry(String name) {
        return file.keys().stream().filter(e -> e.name().equals(name)).findFirst();
    }

    public Entry add(String name, KeyPair key, char[] passphrase) throws IOException {
        if (!name.matches("[A-Za-z0-9_.-]{1,64}")) throw new IllegalArgumentException("a key name is 1..64 of A-Z a-z 0-9 _ . -");
        if (entry(name).isPresent()) throw new IllegalArgumentException("a key named '" + name + "' exists already");
        if (!file.keys().isEmpty()) unlock(file.keys().get(0).name(), passphrase); // one passphrase per file
        byte[] nonce = new byte[12];
        new SecureRandom().nextBytes(nonce);
        String publicKey = key.publicKey().hex();
        byte[] sealed = crypt(Cipher.ENCRYPT_MODE, passphrase, nonce, aad(name, publicKey), key.privateKeyBytes());
        Entry e = new Entry(name, publicKey, Address.of(network(), key.publicKey()).toString(), b64(nonce), b64(sealed));
        List<Entry> keys = new ArrayList<>(file.keys());
        keys.add(e);
        file = new File(file.version(), file.network(), file.kdf(), file.iterations(), file.salt(), List.copyOf(keys));
        save();
        return e;
    }

    public KeyPair unlock(String name, char[] passphrase) {
        Entry e = entry(name).orElseThrow(() -> new IllegalArgumentException("no key named '" + name + "'"));
        byte[] priv;
        try {
            priv = crypt(Cipher.DECRYPT_MODE, passphrase, Base64.getDecoder().decode(e.nonce()), aad(e.name(), e.publicKey()),
                    Base64.getDecoder().decode(e.ciphertext()));
        } catch (LockedException x) {
            throw new LockedException("wrong passphrase (or the keystore was modified)");
        }
        KeyPair k = Ed25519Keys.fromPrivateKey(priv);
        if (!k.publicKey().hex().equals(e.publicKey())) throw new LockedException("the stored public key does not match the private key");
        return k;
    }

    private byte[] crypt(int mode, char[] passphrase, byte[] nonce, byte[] aad, byte[] input) {
        try {
            byte[] key = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(passphrase, Base64.getDecoder().decode(file.salt()), file.iterations(), 256)).getEncoded();
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad);
            return c.doFinal(input);
        } catch (javax.crypto.AEADBadTagException x) {
            throw new LockedException("authentication failed");
        } catch (GeneralSecurityException x) {
            throw new IllegalStateException(x);
        }
    }

    private static byte[] aad(String name, String publicKey) {
        return (name + "\n" + publicKey).getBytes(StandardCharsets.UTF_8);
    }

    private void save() throws IOException {
        try {
            write();
        } catch (IOException e) {
            throw new UnusableException("cannot write keystore " + path + ": " + e);
        }
    }

    private void write() throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".keystore", ".tmp");
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), file);
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}
