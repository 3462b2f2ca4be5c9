"""窗口承载力: how many windows a zone needs, by formula (Erlang C, Erlang A) and by simulating the hall's day."""
