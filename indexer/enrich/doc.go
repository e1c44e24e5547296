// Package enrich finds the places and topics of a document.
package enrich
