"""TLS contexts as go sets them up: the system's CA bundle, or ``SSL_CERT_FILE`` and
``SSL_CERT_DIR``."""

from __future__ import annotations

import contextlib
import os
import ssl

from gomod_doctor.network.http.settings import HttpSettings

# --------------------------------------------------------------------------- TLS

#: Where go looks for certificate directories on Linux (crypto/x509 root_linux.go).
_DEFAULT_CERT_DIRS = ("/etc/ssl/certs", "/etc/pki/tls/certs")


def ssl_context(settings: HttpSettings, *, verify: bool = True) -> ssl.SSLContext:
    """The TLS configuration go would use: the system's roots, or ``SSL_CERT_FILE``
    and ``SSL_CERT_DIR`` instead of the system's file and directories."""
    if not verify:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if not settings.ssl_cert_file and not settings.ssl_cert_dir:
        return ssl.create_default_context()
    # An empty trust store makes every https request fail, as it does in go.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cafile = settings.ssl_cert_file or ssl.get_default_verify_paths().cafile
    if cafile:
        with contextlib.suppress(OSError, ssl.SSLError, ValueError):
            ctx.load_verify_locations(cafile=cafile)
    if settings.ssl_cert_dir:
        for d in settings.ssl_cert_dir.split(":"):
            if d:
                _load_cert_dir(ctx, d)
    else:
        for d in _DEFAULT_CERT_DIRS:
            if os.path.isdir(d):  # hashed names, looked up when needed
                with contextlib.suppress(OSError, ssl.SSLError, ValueError):
                    ctx.load_verify_locations(capath=d)
    return ctx


def _load_cert_dir(ctx: ssl.SSLContext, directory: str, limit: int = 2000) -> None:
    """Every PEM file in ``directory`` (go reads them all, not only hashed names)."""
    try:
        names = sorted(os.listdir(directory))[:limit]
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        try:
            if not os.path.isfile(path) or os.path.getsize(path) > (1 << 20):
                continue
            with open(path, encoding="ascii", errors="replace") as f:
                data = f.read()
            if "-----BEGIN CERTIFICATE-----" not in data:
                continue
            ctx.load_verify_locations(cadata=data)
        except (OSError, ssl.SSLError, ValueError):
            continue
