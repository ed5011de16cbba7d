if keep { }
true;
