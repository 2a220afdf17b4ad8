/*
 * floor.c - the throughput floor for PlainSight benchmarks.
 *
 * Opens a capture with libpcap, loops pcap_next_ex and touches every packet
 * (sums one byte per packet and the caplen, so the loop cannot be optimised
 * away), then prints packets and bytes. Nothing any real analyzer can do is
 * cheaper than this: PlainSight's throughput is reported as a percentage of it.
 *
 *   cc -O2 -o floor floor.c -lpcap
 *   ./floor FILE.pcap
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (!p) {
        fprintf(stderr, "floor: %s\n", errbuf);
        return 2;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t packets = 0, bytes = 0, touch = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen;
        /* Touch a byte of the packet (the last one of the Ethernet header
         * when present) so the packet data is actually read. */
        if (h->caplen > 0)
            touch += data[h->caplen > 13 ? 13 : h->caplen - 1];
    }
    if (rc == -1) {
        fprintf(stderr, "floor: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets %llu bytes %llu touch %llu\n",
           (unsigned long long)packets, (unsigned long long)bytes,
           (unsigned long long)touch);
    return 0;
}
