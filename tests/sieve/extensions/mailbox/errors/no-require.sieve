require "fileinto";
if mailboxexists "Partners" { keep; }
fileinto :create "Partners";
