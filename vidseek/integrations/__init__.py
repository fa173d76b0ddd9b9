"""Adapters that let other frameworks use a vidseek library; each imports its framework only when used."""
