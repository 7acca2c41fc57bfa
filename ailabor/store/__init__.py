"""The store: what changed in a bill or meeting (``changes``), what the change is called (``events``), and the
writer that puts both in the database in one transaction per batch (``writer``); ``texts`` reads what a bill
is judged on."""
