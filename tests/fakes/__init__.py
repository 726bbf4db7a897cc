"""Fakes of outside services, served for real (HTTP on loopback) for tests and benchmarks."""
