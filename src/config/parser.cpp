// placeholder: the ldirectord.cf parser
