require "comparator-i;unicode-casemap-x";
keep;
