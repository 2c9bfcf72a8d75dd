"""The TokenRing agent: server, wire protocol, client and the hardening around them.

Importing the package does nothing; the fast `tokenring get` imports only the client.
"""
