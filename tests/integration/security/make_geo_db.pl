#!/usr/bin/perl
# Writes a small MaxMind-format (GeoIP2-Country-like) database for the tests, with Debian's
# MaxMind::DB::Writer (libmaxmind-db-writer-perl); nothing is downloaded.
# usage: make_geo_db.pl OUT.mmdb CIDR=CC [CIDR=CC ...]   e.g. 198.18.1.128/25=FR
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift @ARGV or die "usage: $0 OUT.mmdb CIDR=CC...\n";
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    database_type         => 'Rampart-Test-Country',
    languages             => ['en'],
    description           => { en => 'Rampart test geo database' },
    map_key_type_callback => sub { $_[0] eq 'country' ? 'map' : 'utf8_string' },
    alias_ipv6_to_ipv4    => 1,
    remove_reserved_networks => 0,
);
for my $pair (@ARGV) {
    my ($cidr, $cc) = split /=/, $pair, 2;
    $tree->insert_network($cidr, { country => { iso_code => $cc } });
}
open my $fh, '>:raw', "$out.tmp" or die "cannot write $out.tmp: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot write $out.tmp: $!\n";
rename "$out.tmp", $out or die "cannot rename to $out: $!\n";
