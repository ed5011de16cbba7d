require "fileinto";
if header :is :contains "subject" "b" { stop; }
frob;
if address "x-spam-flag" "YES" { keep; }
