"""A CDS Hooks 2.0 service (FastAPI) for warfarin dosing and antidepressant CPIC advice."""
