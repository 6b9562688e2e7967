// Expected ipvsadm output, rendered from ipvsadm's printf formats independently of
// src/cli/listing.cpp. Lines keep their trailing spaces, as ipvsadm prints them.
#pragma once
#include <string>
const std::string golden_standard = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.1:80 rr persistent 60 mask 255.255.255.0
  -> 10.0.1.1:8080                Masq    5      1          2         
UDP  192.168.0.105:53 wrr persistent 30 ops
  -> 10.0.1.2:53                  Tunnel  1      0          7         
TCP  [2001:db8::1]:443 sh (sh-fallback,sh-port) persistent 300 mask 64
  -> [2001:db8::10]:443           Route   1      0          0         
FWM  7 IPv6 wrr
FWM  100 wrr persistent 360
  -> 192.168.239.129:0            Masq    1      0          0         
  -> 192.168.239.133:0            Masq    2      3          4         
)";
const std::string golden_stats = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
FWM  100                                 5  123456K 99999999   12345M     123T
  -> 192.168.239.129:0                   1    5000G  100000K  999999K        0
)";
const std::string golden_exact = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
FWM  100                                 5 123456789 99999999 12345678901 123456789012345
  -> 192.168.239.129:0                   1 5000000000000 100000000 999999999        0
)";
const std::string golden_rate = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS
  -> RemoteAddress:Port
FWM  100                                 3      400      380  250000K     1000
  -> 192.168.239.129:0                   3      400      380  250000K     1000
)";
const std::string golden_thresholds = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
FWM  100 wrr persistent 360
  -> 192.168.239.129:0            100        10         0          0         
)";
const std::string golden_persistent_conn = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn 
  -> RemoteAddress:Port
FWM  100 wrr persistent 360
  -> 192.168.239.129:0            1         13          2          1         
)";
const std::string golden_connections = R"(IPVS connection entries
pro expire state       source             virtual            destination
TCP 14:59  ESTABLISHED 10.0.0.7:40000     192.168.0.105:80   192.168.239.129:80
IP  05:59  NONE        10.0.0.7:0         0.0.0.100:0        192.168.239.129:0
UDP 120:00 UDP         [2001:db8::7]:5353 [2001:db8::1]:53   [2001:db8::10]:53
)";
