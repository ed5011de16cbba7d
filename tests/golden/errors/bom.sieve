# a leading byte order mark is skipped: columns count from after it
frob;
keep; frob2;
