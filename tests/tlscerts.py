"""tlscerts: the certificates the TLS tests use, made with Debian's openssl
CLI in a folder of the test's own: a CA, a server certificate for
127.0.0.1/localhost signed by it, an expired one, a self-signed one, and a
client certificate (CN "ana") signed by a second CA for clients.

    certs = tlscerts.make(tmp)   # {"ca": path, "server.crt": path, ...}
"""
import os
import subprocess


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def _key(name, cwd):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-out", name + ".key", cwd=cwd)


def _ca(name, cwd):
    _key(name, cwd)
    _openssl("req", "-x509", "-new", "-key", name + ".key", "-sha256",
             "-days", "30", "-subj", "/CN=gloss test " + name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-out", name + ".crt", cwd=cwd)


def _signed(name, ca, cn, ext, cwd, expired=False):
    """A certificate for cn signed by ca; expired: valid only in 2001."""
    _key(name, cwd)
    _openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn,
             "-out", name + ".csr", cwd=cwd)
    with open(os.path.join(cwd, name + ".ext"), "w") as f:
        f.write(ext)
    if expired:
        # openssl x509 cannot back-date: `ca` with explicit dates can.
        conf = os.path.join(cwd, name + ".cnf")
        with open(conf, "w") as f:
            f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=%s.idx\n"
                    "new_certs_dir=.\nserial=%s.srl\ndefault_md=sha256\n"
                    "policy=p\ncopy_extensions=none\n[p]\n"
                    "commonName=supplied\n" % (name, name))
        open(os.path.join(cwd, name + ".idx"), "w").close()
        with open(os.path.join(cwd, name + ".srl"), "w") as f:
            f.write("1000\n")
        _openssl("ca", "-batch", "-config", name + ".cnf", "-cert", ca + ".crt",
                 "-keyfile", ca + ".key", "-in", name + ".csr",
                 "-startdate", "20010101000000Z",
                 "-enddate", "20010201000000Z", "-extfile", name + ".ext",
                 "-notext", "-out", name + ".crt", cwd=cwd)
        return
    _openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt",
             "-CAkey", ca + ".key", "-CAcreateserial", "-days", "30",
             "-sha256", "-extfile", name + ".ext", "-out", name + ".crt",
             cwd=cwd)


# mbedtls 2.28 (the CLI's TLS, through nng) matches an IP address only
# against DNS names: the address is in the certificate as both.
SERVER_EXT = ("subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost\n"
              "extendedKeyUsage=serverAuth\n")
CLIENT_EXT = "extendedKeyUsage=clientAuth\n"


def make(tmp):
    """Makes the certificates in tmp/certs; returns name -> path."""
    d = os.path.join(tmp, "certs")
    os.makedirs(d, exist_ok=True)
    _ca("ca", d)
    _ca("clientca", d)
    _signed("server", "ca", "localhost", SERVER_EXT, d)
    _signed("expired", "ca", "localhost", SERVER_EXT, d, expired=True)
    _signed("client", "clientca", "ana", CLIENT_EXT, d)
    _signed("stranger", "ca", "mallory", CLIENT_EXT, d)  # not clientca's
    _key("self", d)
    _openssl("req", "-x509", "-new", "-key", "self.key", "-sha256",
             "-days", "30", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-out", "self.crt", cwd=d)
    return {n: os.path.join(d, n) for n in os.listdir(d)}
