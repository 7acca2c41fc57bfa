"""One spider per upstream source; ``scrapy list`` shows them."""
