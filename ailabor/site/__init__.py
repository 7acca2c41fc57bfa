"""The two Datasette faces (faces.py), their plugins (plugins/) and the published snapshot (publish.py)."""
