"""Importers: other formats turned into ledger commands, written all or nothing."""
