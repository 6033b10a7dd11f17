"""The effective Go environment (:mod:`.env`) and GOPROXY lists (:mod:`.proxy`)."""

from gomod_doctor.goenv.env import GoEnv, load, resolve
from gomod_doctor.goenv.proxy import ProxyEntry, ProxyList, parse_proxy_list

__all__ = ["GoEnv", "ProxyEntry", "ProxyList", "load", "parse_proxy_list", "resolve"]
