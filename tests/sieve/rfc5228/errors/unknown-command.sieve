frobnicate;
keep;
foo "x";
