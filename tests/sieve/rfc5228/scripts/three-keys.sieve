# three keys: over a max-list-size of 2
if header :is "subject" ["a", "b", "c"] { keep; }
