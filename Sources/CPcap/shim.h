// libpcap, imported into Swift as the CPcap module.
#include <pcap/pcap.h>
