# RFC 5228 §8.2: two syntax errors; recovery goes on after the first
keep
if true { keep }
discard;
if ] { stop; }
