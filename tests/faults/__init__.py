"""Database faults: a throwaway PostgreSQL cluster the tests stop and start themselves."""
