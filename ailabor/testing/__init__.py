"""Upstreams on this machine, for the tests, the benches and `ailabor demo`: recorded answers and emulators."""
