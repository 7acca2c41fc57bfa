"""One client per upstream API that several spiders share: paging, keys, quotas and 429s."""
